"""``wwwtrak customer``: the customer form, the list and search, closing, logins, the bulk import."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from wwwtrak.commands import _cli
from wwwtrak.commands._cli import Format

app = typer.Typer(help="Customers: individual and commercial accounts.", no_args_is_help=True)
login_app = typer.Typer(help="A customer's login user names (the names in usage records).", no_args_is_help=True)
app.add_typer(login_app, name="login")

Id = Annotated[int, typer.Argument(metavar="ID", help="The customer's account number.")]
Fmt = Annotated[Format, typer.Option("--format", help="Output format.")]


def _opt(flag: str, help: str):
    return Annotated[Optional[str], typer.Option(flag, help=help)]


NewName = _opt("--name", "The customer's name.")
Company = _opt("--company", "Company name (commercial; required there).")
Contact = _opt("--contact", "Contact person (commercial; required there).")
Address = _opt("--address", "Street address.")
City = _opt("--city", "City (filled in from a known postal code).")
State = _opt("--state", "State of the country: il, US-IL or Illinois.")
PostalCode = _opt("--postal-code", "Postal code; a known one fills in city and state.")
Country = _opt("--country", "Country: US or United States (add: the ISP's time zone's country).")
Phone = _opt("--phone", "Phone number in any format; stored as +15555550123.")
Email = _opt("--email", "Email address.")
BillingCategory = _opt("--billing-category", "A billing-category code.")
PaymentTerms = _opt("--payment-terms", "A payment-terms code, e.g. net-30.")
PcType = _opt("--pc-type", "A pc-type code.")
Source = _opt("--source", "A source code: how the customer found us.")
Tags = Annotated[Optional[list[str]], typer.Option("--tag", help="Commercial tag (repeatable; on edit the tags become exactly these, --tag '' clears).")]
PlanCode = _opt("--plan", "The plan (individual customers; required there).")
RemoteHost = _opt("--remote-host", "The customer's own host name (individual).")
Logins = Annotated[Optional[list[str]], typer.Option("--login", help="Login user name (repeatable; on edit the logins become exactly these).")]
StartDate = _opt("--start-date", "YYYY-MM-DD (add: today).")
TaxExempt = _opt("--tax-exempt", "Tax-exemption id (commercial).")
Notes = _opt("--notes", "Free notes.")
Status = _opt("--status", "active or suspended (closing is 'customer close').")

TABLE_COLUMNS = ["id", "type", "name", "company", "status", "city", "state", "phone", "plan", "logins"]
_RENAMED = {"type_": "type", "tag": "tags", "login": "logins"}


def _given(params: dict) -> dict:
    """The form fields given on the command line (an empty string clears a field)."""
    from wwwtrak.customers import EDITABLE

    fields = {_RENAMED.get(k, k): v for k, v in params.items() if v is not None}
    return {k: v for k, v in fields.items() if k in EDITABLE}


def _emit_record(record: dict, fmt: Format) -> None:
    if fmt == Format.csv:
        record = {k: v for k, v in record.items() if k != "recent_changes"}
        if "open_invoices" in record:
            record["open_invoices"] = " ".join(str(i["number"]) for i in record["open_invoices"])
    _cli.emit_one(record, fmt)


@app.command("add")
def add(
    ctx: typer.Context,
    type_: Annotated[str, typer.Option("--type", help="individual or commercial.")],
    name: Annotated[str, typer.Option("--name", help="The customer's name (a person, or the account's name).")],
    company: Company = None, contact: Contact = None, address: Address = None, city: City = None, state: State = None,
    postal_code: PostalCode = None, country: Country = None, phone: Phone = None, email: Email = None,
    billing_category: BillingCategory = None, payment_terms: PaymentTerms = None, pc_type: PcType = None,
    source: Source = None, tag: Tags = None, plan: PlanCode = None, remote_host: RemoteHost = None, login: Logins = None,
    start_date: StartDate = None, tax_exempt: TaxExempt = None, notes: Notes = None, status: Status = None,
    fmt: Fmt = Format.table,
) -> None:
    """Add a customer; prints the new account number (the whole record with --format json)."""
    from wwwtrak import customers

    customer_id = customers.add(_cli.authorize(ctx), _given(locals()))
    if fmt == Format.table:
        _cli.out(f"Added customer {customer_id} ({name.strip()}).")
    else:
        _emit_record(customers.show(customer_id), fmt)


@app.command("edit")
def edit(
    ctx: typer.Context,
    customer_id: Id,
    type_: Annotated[Optional[str], typer.Option("--type", help="individual or commercial.")] = None,
    name: NewName = None,
    company: Company = None, contact: Contact = None, address: Address = None, city: City = None, state: State = None,
    postal_code: PostalCode = None, country: Country = None, phone: Phone = None, email: Email = None,
    billing_category: BillingCategory = None, payment_terms: PaymentTerms = None, pc_type: PcType = None,
    source: Source = None, tag: Tags = None, plan: PlanCode = None, remote_host: RemoteHost = None, login: Logins = None,
    start_date: StartDate = None, tax_exempt: TaxExempt = None, notes: Notes = None, status: Status = None,
    fmt: Fmt = Format.table,
) -> None:
    """Change only the fields given, validated like add; old and new values go to the audit trail."""
    from wwwtrak import customers

    changed = customers.edit(_cli.authorize(ctx), customer_id, _given(locals()))
    if fmt != Format.table:
        _emit_record(customers.show(customer_id), fmt)
    elif changed:
        _cli.out(f"Customer {customer_id} updated: {', '.join(changed)}.")
    else:
        _cli.out(f"Customer {customer_id}: nothing changed.")


@app.command("show")
def show(ctx: typer.Context, customer_id: Id, fmt: Fmt = Format.table) -> None:
    """Show the whole customer form, logins, balance and recent changes."""
    from wwwtrak import customers

    _cli.authorize(ctx)
    record = customers.show(customer_id)
    if fmt == Format.table:
        _render_form(record)
    else:
        _emit_record(record, fmt)


@app.command("list")
def list_(
    ctx: typer.Context,
    type_: Annotated[Optional[str], typer.Option("--type", help="individual or commercial.")] = None,
    status: Annotated[Optional[str], typer.Option("--status", help="active, suspended or closed.")] = None,
    search: Annotated[Optional[str], typer.Option("--search", metavar="TEXT", help="Words to find in name, company, contact, email, phone, login or postal code.")] = None,
    fmt: Fmt = Format.table,
) -> None:
    """List customers in account-number order, filtered and searched."""
    from wwwtrak import customers

    _cli.authorize(ctx)
    rows = customers.list_customers(type_, status, search)
    _cli.emit_stream(rows, fmt, TABLE_COLUMNS if fmt == Format.table else list(customers.LIST_FIELDS))


@app.command("close")
def close(
    ctx: typer.Context,
    customer_id: Id,
    on: Annotated[Optional[str], typer.Option("--date", metavar="YYYY-MM-DD", help="The close date (default: today).")] = None,
    release_logins: Annotated[bool, typer.Option("--release-logins", help="Free the customer's logins for others.")] = False,
) -> None:
    """Close an account: status closed from the close date; history and (unless released) logins stay."""
    from wwwtrak import customers
    from wwwtrak.clock import parse_date

    actor = _cli.authorize(ctx)
    r = customers.close(actor, customer_id, parse_date(on, "date") if on else None, release_logins)
    text = f"Customer {customer_id} is already closed since {r.close_date}" if r.already else f"Customer {customer_id} closed on {r.close_date}"
    if r.released:
        text += f"; released logins: {', '.join(r.released)}"
    elif r.kept and not r.already:
        text += f"; its logins stay with it: {', '.join(r.kept)}"
    _cli.out(text + ".")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(metavar="FILE.csv|-", help="CSV whose header names the columns like add's options; - is stdin; .gz is read as is.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and report; write nothing.")] = False,
    fmt: Fmt = Format.table,
) -> None:
    """Add customers in bulk from CSV, each row checked as add checks it; any bad row imports nothing."""
    from dataclasses import asdict

    from wwwtrak.customer_import import import_file

    actor = _cli.authorize(ctx)
    with _cli.progress(None, "Checking rows") as bar:
        r = import_file(actor, file, dry_run, bar.advance)
    if fmt != Format.table:
        _cli.emit_one(asdict(r), fmt)
    elif not r.rows:
        _cli.out(f"Nothing to import: {r.file} has a header and no rows.")
    else:
        span = f"{r.first_id}-{r.last_id}" if r.last_id != r.first_id else f"{r.first_id}"
        what = f"{r.rows} customer{'s' if r.rows != 1 else ''} ({span}) from {r.file}"
        adopted = f"; {r.adopted_sessions} session{'s' if r.adopted_sessions != 1 else ''} imported earlier now belong{'s' if r.adopted_sessions == 1 else ''} to them" if r.adopted_sessions else ""
        _cli.out(f"Dry run: {what} would be imported; nothing was written." if dry_run else f"Imported {what}{adopted}.")


@login_app.command("add")
def login_add(ctx: typer.Context, customer_id: Id, username: Annotated[str, typer.Argument(metavar="USERNAME")]) -> None:
    """Give a customer a login; sessions imported earlier under it become theirs."""
    from wwwtrak import customers

    r = customers.add_login(_cli.authorize(ctx), customer_id, username)
    if not r.changed:
        _cli.out(f"Customer {customer_id} already has login {r.username}.")
    elif r.adopted:
        _cli.out(f"Login {r.username} added to customer {customer_id}; {r.adopted} session{'s' if r.adopted != 1 else ''} imported earlier now belong{'' if r.adopted != 1 else 's'} to it.")
    else:
        _cli.out(f"Login {r.username} added to customer {customer_id}.")


@login_app.command("remove")
def login_remove(ctx: typer.Context, customer_id: Id, username: Annotated[str, typer.Argument(metavar="USERNAME")]) -> None:
    """Release a login; the customer's past sessions stay theirs."""
    from wwwtrak import customers

    r = customers.remove_login(_cli.authorize(ctx), customer_id, username)
    _cli.out(f"Login {r.username} removed from customer {customer_id}; its past sessions stay with the customer.")


_SECTIONS = (
    ("Account", ("type", "status", "start_date", "close_date", "plan", "remote_host", "balance", "credit")),
    ("Contact", ("company", "contact", "address", "city", "state", "postal_code", "country", "phone", "email")),
    ("Billing", ("billing_category", "payment_terms", "tax_exempt", "tags")),
    ("Other", ("pc_type", "source", "logins", "notes")),
)


def _render_form(record: dict) -> None:
    """The form as a readable page (rich), sections of label and value, then the recent changes."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from wwwtrak.commands.audit import _changes_text

    console = Console(highlight=False)
    console.print(Text(f"Customer {record['id']}: {record['name']}", style="bold"))
    for title, fields in _SECTIONS:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", min_width=16)
        grid.add_column()
        for f in fields:
            value = record[f]
            if f == "plan" and value:
                value = f"{value} ({record['plan_name']})"
            if isinstance(value, list):
                value = ", ".join(value)
            grid.add_row(f.replace("_", " ").capitalize(), Text("" if value is None else str(value)))
        console.print(Text(f"\n{title}", style="underline"))
        console.print(grid)
    console.print(Text("\nOpen invoices", style="underline"))
    if not record["open_invoices"]:
        console.print("none")
    for i in record["open_invoices"]:
        console.print(Text(f"{i['number']:>8}  due {i['due_date']}  total {i['total']:>10}  balance {i['balance']:>10}"))
    console.print(Text("\nRecent changes", style="underline"))
    if not record["recent_changes"]:
        console.print("none")
    for e in record["recent_changes"]:
        console.print(Text(f"{e['at'][:16].replace('T', ' ')}  {e['operator']}  {e['command']}  {_changes_text(e['changes'])}"))
