from wwwtrak.commands import main

main()
