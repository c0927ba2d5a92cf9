"""Lookup lists: seeds, add, rename, deactivate, import, case-insensitive codes."""

from __future__ import annotations

from helpers import invoke


def codes(kind, *flags):
    return {r["code"]: r for r in invoke("lookup", "list", kind, "--format", "json", *flags).json}


def test_seeds_come_from_iso_and_zip_data(cli):
    kinds = {r["kind"]: r for r in invoke("lookup", "kinds", "--format", "json").json}
    assert kinds["country"]["active"] == 249
    assert kinds["state"]["active"] > 5000
    assert kinds["postal-code"]["active"] > 40000
    countries = codes("country")
    assert countries["US"]["label"] == "United States" and countries["DE"]["label"] == "Germany"
    states = codes("state")
    assert states["US-IL"]["label"] == "Illinois" and states["US-IL"]["country"] == "US"
    assert states["CA-QC"]["country"] == "CA"
    zips = codes("postal-code")
    assert zips["62701"]["city"] == "Springfield" and zips["62701"]["state"] == "US-IL"
    terms = codes("payment-terms")
    assert terms["net-30"] == {"code": "net-30", "label": "Net 30 days", "days": 30, "late_fee": "10.00", "late_fee_percent": "1.5", "active": True}


def test_add_is_case_insensitive_and_canonical(cli):
    r = invoke("lookup", "add", "PC-Type", "Amiga", "Commodore Amiga")
    assert r.exit_code == 0 and r.stdout == "Added pc-type amiga (Commodore Amiga).\n"
    r = invoke("lookup", "add", "pc-type", "AMIGA")
    assert r.exit_code == 1 and r.stderr == "error: pc-type 'amiga' already exists\n"


def test_add_with_fields_validates_them(cli):
    r = invoke("lookup", "add", "payment-terms", "net-45", "Net 45", "--set", "days=45", "--set", "late_fee=7.5", "--set", "late_fee_percent=2")
    assert r.exit_code == 0, r.stderr
    assert codes("payment-terms")["net-45"]["late_fee"] == "7.50"
    r = invoke("lookup", "add", "payment-terms", "net-x", "--set", "days=soon")
    assert r.stderr == "error: days: 'soon' is not a whole number of days\n"
    r = invoke("lookup", "add", "payment-terms", "net-y", "--set", "days=10", "--set", "late_fee=1.005")
    assert r.stderr == "error: late_fee: '1.005' has more than two decimals\n"
    r = invoke("lookup", "add", "payment-terms", "net-z")
    assert r.stderr == "error: days: required for payment-terms\n"
    r = invoke("lookup", "add", "pc-type", "os2", "--set", "days=3")
    assert r.stderr == "error: days: pc-type has no field 'days' (fields: none)\n"
    r = invoke("lookup", "add", "payment-terms", "net-w", "--set", "days")
    assert r.stderr == "error: --set: 'days' is not KEY=VALUE\n"


def test_state_must_belong_to_the_country(cli):
    r = invoke("lookup", "add", "tax-rate", "us-wi", "Wisconsin", "--set", "country=us", "--set", "state=wi", "--set", "percent=5")
    assert r.exit_code == 0, r.stderr
    assert codes("tax-rate")["us-wi"]["state"] == "US-WI"
    r = invoke("lookup", "add", "tax-rate", "bad", "--set", "country=US", "--set", "state=CA-QC", "--set", "percent=5")
    assert r.stderr == "error: state: 'CA-QC' is not a state of US\n"
    r = invoke("lookup", "add", "tax-rate", "bad", "--set", "country=US", "--set", "state=Ilinois", "--set", "percent=5")
    assert r.stderr == "error: state: 'Ilinois' is not a known state in US; did you mean US-IL, US-VA, US-LA?\n"
    r = invoke("lookup", "add", "tax-rate", "bad", "--set", "country=Untied States", "--set", "percent=5")
    assert r.stderr.startswith("error: country: 'Untied States' is not a known country; did you mean US")
    r = invoke("lookup", "add", "tax-rate", "bad", "--set", "country=US", "--set", "percent=101")
    assert r.stderr == "error: percent: '101' must be a percent from 0 to 100\n"


def test_postal_code_add_fills_canonical_state(cli):
    r = invoke("lookup", "add", "postal-code", "60698", "--set", "city=Chicago", "--set", "state=il", "--set", "country=us")
    assert r.exit_code == 0, r.stderr
    assert codes("postal-code")["60698"]["state"] == "US-IL"
    r = invoke("lookup", "add", "postal-code", "60698", "--set", "city=Chicago", "--set", "country=US")
    assert r.stderr == "error: postal-code '60698' already exists\n"


def test_rename_and_deactivate_keep_the_code(cli):
    assert invoke("lookup", "rename", "pc-type", "MAC", "Macintosh").stdout == "Renamed pc-type mac to 'Macintosh'.\n"
    assert codes("pc-type")["mac"]["label"] == "Macintosh"
    assert invoke("lookup", "deactivate", "pc-type", "mac").exit_code == 0
    assert "mac" not in codes("pc-type")
    assert codes("pc-type", "--all")["mac"]["active"] is False
    r = invoke("lookup", "rename", "pc-type", "macc", "x")
    assert r.exit_code == 1 and r.stderr == "error: pc-type 'macc' does not exist; did you mean mac?\n"
    audit = invoke("audit", "list", "--format", "json").json
    assert audit[-2]["changes"] == {"label": ["Apple Mac", "Macintosh"]}
    assert audit[-1]["changes"] == {"active": [True, False]} and audit[-1]["target"] == "lookup pc-type mac"


def test_resolve_refuses_deactivated_and_suggests(cli):
    from wwwtrak import lookups
    from wwwtrak.instance import open_existing
    from wwwtrak.errors import InvalidInput
    import os
    import pytest

    invoke("lookup", "deactivate", "source", "web")
    open_existing(os.environ["WWWTRAK_DB"])
    with pytest.raises(InvalidInput) as e:
        lookups.resolve("source", "WEB")
    assert str(e.value) == "source: 'web' is deactivated and can't be chosen anew"
    with pytest.raises(InvalidInput) as e:
        lookups.resolve("source", "refferal")
    assert str(e.value) == "source: 'refferal' is not a known source; did you mean referral?"
    assert lookups.resolve("country", "united states").code == "US"
    assert lookups.resolve_state("il", "US").code == "US-IL"
    assert lookups.resolve_state("Illinois", "US").code == "US-IL"


def test_import_with_bad_rows_imports_nothing_and_names_every_row(cli, tmp_path):
    f = tmp_path / "terms.csv"
    f.write_text(
        "code,label,days,late_fee,late_fee_percent\n"
        "net-10,Net 10,10,2.00,1\n"
        "net-20,Net 20,twenty,2.00,1\n"
        "net-10,Again,10,2.00,1\n"
        "net-25,Net 25,25,-1,1\n"
    )
    r = invoke("lookup", "import", "payment-terms", str(f))
    assert r.exit_code == 1
    assert r.stderr == (
        f"error: {f}:3: days: 'twenty' is not a whole number of days\n"
        f"error: {f}:4: code: 'net-10' repeats line 2\n"
        f"error: {f}:5: late_fee: '-1' must not be negative\n"
    )
    assert "net-10" not in codes("payment-terms")


def test_import_adds_and_updates(cli, tmp_path):
    f = tmp_path / "src.csv"
    f.write_text("code,label\nRadio,Radio advert\nweb,Our website\n")
    r = invoke("lookup", "import", "source", str(f))
    assert r.exit_code == 0 and r.stdout == f"{f}: 1 added, 1 updated.\n"
    src = codes("source")
    assert src["radio"]["label"] == "Radio advert" and src["web"]["label"] == "Our website"
    r = invoke("lookup", "import", "source", "-", input="code,label\nradio,Radio advert\n")
    assert r.stdout == "<stdin>: 0 added, 0 updated.\n"


def test_import_refuses_unknown_columns(cli, tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("code,colour\nx,red\n")
    r = invoke("lookup", "import", "pc-type", str(f))
    assert r.stderr == f"error: {f}:1: unknown column 'colour' for pc-type (columns: code, label)\n"


def test_import_keeps_fields_the_file_leaves_out_and_audits_each_change(cli, tmp_path):
    f = tmp_path / "pt.csv"
    f.write_text("code,label,days\nNET-30,Net thirty,30\n")
    r = invoke("lookup", "import", "payment-terms", str(f))
    assert r.stdout == f"{f}: 0 added, 1 updated.\n"
    assert codes("payment-terms")["net-30"] == {"code": "net-30", "label": "Net thirty", "days": 30, "late_fee": "10.00", "late_fee_percent": "1.5", "active": True}
    entry = invoke("audit", "list", "--format", "json").json[-1]
    assert entry["target"] == "lookup payment-terms"
    assert entry["changes"]["net-30"][0]["label"] == "Net 30 days" and entry["changes"]["net-30"][1]["label"] == "Net thirty"


def test_import_does_not_reactivate_a_deactivated_code(cli, tmp_path):
    invoke("lookup", "deactivate", "source", "web")
    r = invoke("lookup", "import", "source", "-", input="code,label\nweb,The web\n")
    assert r.exit_code == 0
    assert codes("source", "--all")["web"] == {"code": "web", "label": "The web", "active": False}


def test_one_tax_rate_per_jurisdiction(cli):
    r = invoke("lookup", "add", "tax-rate", "il-2", "--set", "country=US", "--set", "state=IL", "--set", "percent=7")
    assert r.exit_code == 1
    assert r.stderr == "error: US-IL has a tax rate already (us-il, 6.25%); change or deactivate that one\n"
    invoke("lookup", "deactivate", "tax-rate", "us-il")
    assert invoke("lookup", "add", "tax-rate", "il-2", "--set", "country=US", "--set", "state=IL", "--set", "percent=7").exit_code == 0


def test_lookup_import_gives_a_jurisdiction_one_tax_rate_too(cli):
    """Two new rates for one state in one file used to be imported both, leaving the state's tax to chance."""
    text = "code,label,country,state,percent\nus-wi-a,Wisconsin A,US,WI,5\nus-wi-b,Wisconsin B,US,WI,7\nus-mn,Minnesota,US,MN,6.875\n"
    r = invoke("lookup", "import", "tax-rate", "-", input=text)
    assert (r.exit_code, r.stderr) == (1, "error: <stdin>:3: US-WI has a tax rate on line 2 already\n")
    assert sorted(codes("tax-rate", "--all")) == ["us-ca", "us-il", "us-ny", "us-tx"]
    r = invoke("lookup", "import", "tax-rate", "-", input=text.replace("us-wi-b,Wisconsin B,US,WI,7", "us-wi-b,Wisconsin B,US,MI,6"))
    assert (r.exit_code, r.stderr) == (0, "")
    assert {c: v["state"] for c, v in codes("tax-rate").items() if c in ("us-wi-a", "us-wi-b", "us-mn")} == {
        "us-wi-a": "US-WI", "us-wi-b": "US-MI", "us-mn": "US-MN"}


def test_codes_labels_and_numbers_are_strict(cli):
    r = invoke("lookup", "add", "pc-type", "ami/ga;drop")
    assert r.stderr == "error: code: 'ami/ga;drop' must be letters, digits, '.', '_' and '-', starting with a letter or digit (at most 64 characters)\n"
    r = invoke("lookup", "add", "pc-type", "amiga", "bad\x1b[2Jlabel")
    assert r.exit_code == 1 and "contains control characters" in r.stderr
    for value in ("1_000", "1e5", "\u0663"):
        r = invoke("lookup", "add", "payment-terms", "x", "--set", "days=5", "--set", f"late_fee={value}")
        assert r.stderr == f"error: late_fee: {value!r} is not an amount of money\n"
    r = invoke("lookup", "add", "payment-terms", "x", "--set", "days=+5")
    assert r.stderr == "error: days: '+5' is not a whole number of days\n"
    assert invoke("lookup", "add", "payment-terms", "x", "--set", "days=5", "--set", "late_fee_percent=1.50").exit_code == 0
    assert codes("payment-terms")["x"]["late_fee_percent"] == "1.5"


def test_postal_code_shared_by_two_countries_is_named_with_country(cli):
    assert invoke("lookup", "add", "postal-code", "60601", "Paris", "--set", "city=Paris", "--set", "country=FR").exit_code == 0
    r = invoke("lookup", "deactivate", "postal-code", "60601")
    assert r.stderr == "error: postal-code '60601' exists in several countries; name one with --country\n"
    assert invoke("lookup", "deactivate", "postal-code", "60601", "--country", "FR").exit_code == 0
    assert codes("postal-code")["60601"]["country"] == "US"
