"""Invented plans and customers for the demo sandbox: made-up people and firms at real US ZIP codes.

Generated from a fixed seed, so every sandbox looks the same; inserted in bulk,
so 100,000 customers take seconds. Phone numbers use the 555-0100..0199 range
kept for fiction, email addresses the reserved ``example`` domains.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta
from typing import Iterator

from peewee import fn

from wwwtrak import audit, clock, customer_import, customers, db, instance, plans
from wwwtrak.audit import Actor
from wwwtrak.models import Customer, Login, Lookup, Plan

FIRST_NAMES = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan Joseph "
    "Jessica Thomas Sarah Carlos Karen Daniel Lisa Matthew Nancy Anthony Betty Mark Sandra Donald Ashley Steven "
    "Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda Brian Melissa Tomasz Deborah "
    "Wei Stephanie Rahul Rebecca Jamal Laura Diego Sharon Olga Cynthia Hiroshi Kathleen Ahmed Amy Luis Angela"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez Wilson "
    "Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez Lewis "
    "Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera "
    "Campbell Mitchell Carter Roberts Kowalski Novak Schmidt Olson Larson Chen Patel Kim Nowak Lindqvist"
).split()
STREETS = (
    "Main St|Oak Ave|Maple Dr|Cedar Ln|Elm St|Washington Blvd|Lake Shore Dr|Prairie Rd|Lincoln Ave|Park Pl|"
    "Madison St|Hillcrest Rd|River Rd|Sunset Blvd|Church St|Mill Rd|Highland Ave|Jefferson St|Walnut St|Orchard Ln"
).split("|")
FIRM_WORDS = (
    "Prairie|Lakeside|Northern|Midwest|Riverside|Heartland|Summit|Keystone|Cornerstone|Bluestem|Harbor|"
    "Ironwood|Pioneer|Granite|Meadow|Frontier|Union|Liberty|Golden|Maplewood"
).split("|")
FIRM_TRADES = (
    "Dental|Hardware|Realty|Bakery|Auto Repair|Insurance|Law Office|Printing|Veterinary Clinic|Accounting|"
    "Florist|Pharmacy|Plumbing|Books|Coffee Roasters|Design Studio|Feed & Seed|Credit Union|Library|School District"
).split("|")
FIRM_SUFFIXES = ("LLC", "Inc.", "Co.", "Group", "& Sons", "")
AREA_CODES = {
    "US-IL": (312, 773, 217, 630, 847, 618, 309, 815), "US-WI": (608, 414, 920, 715), "US-IN": (317, 219, 812),
    "US-MI": (313, 248, 616), "US-MN": (612, 651, 218), "US-IA": (515, 319), "US-MO": (314, 816, 417),
}
DEMO_PLANS = (
    ("dialup-40", "Dial-up 40 hours", plans.PriceInput("14.95", "10.00", "40", "1.20")),
    ("dialup-unl", "Unlimited dial-up", plans.PriceInput("21.95", "10.00")),
    ("dsl-basic", "DSL Basic 50 GB", plans.PriceInput("34.95", "49.00", included_gb="50", overage_per_gb="1.00")),
    ("dsl-pro", "DSL Pro 200 GB", plans.PriceInput("59.95", "49.00", included_gb="200", overage_per_gb="0.50")),
)


def add_plans(actor: Actor) -> None:
    """The demo catalogue, priced since 2019, with one price rise in 2025."""
    for code, name, prices in DEMO_PLANS:
        plans.add(actor, code, name, prices, effective="2019-01")
    plans.edit(actor, "dialup-40", None, plans.PriceInput(monthly_fee="16.95"), effective="2025-01")


def _zip_codes() -> list[tuple[str, str, str]]:
    """(code, city, state) of the active ZIP codes in the demo ISP's Midwest states."""
    rows = Lookup.select(Lookup.code, Lookup.attrs).where(
        (Lookup.kind == "postal-code") & (Lookup.scope == "US") & Lookup.active
    ).tuples()
    out = []
    for code, attrs in rows.iterator():
        state = attrs.get("state")
        if state in AREA_CODES:
            out.append((code, attrs["city"], state))
    return out


def _active_codes(kind: str) -> list[str]:
    return [c for (c,) in Lookup.select(Lookup.code).where((Lookup.kind == kind) & Lookup.active).order_by(Lookup.code).tuples()]


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def customer_forms(count: int, seed: int = 2026) -> Iterator[dict]:
    """``count`` invented customers as canonical customer forms (about one in five commercial, a few
    suspended or closed), with logins no customer holds yet; the same seed gives the same customers."""
    rng = random.Random(seed)
    zips = _zip_codes()
    plan_codes = [p.code for p in Plan.select().where(Plan.active).order_by(Plan.code)]
    if count > 0 and (not zips or not plan_codes):
        raise ValueError("the demo needs US ZIP codes and at least one active plan")
    terms, pc_types, sources, tags = (_active_codes(k) for k in ("payment-terms", "pc-type", "source", "commercial-tag"))
    today = clock.today(instance.zone())
    first_day = date(2019, 1, 1)
    taken = {k for (k,) in Login.select(Login.key).tuples()}
    suffixes: dict[str, int] = {}

    def login_for(base: str) -> str:
        """``jsmith``, then ``jsmith2``, ``jsmith3``...: each base remembers its next number."""
        n = suffixes.get(base, 1)
        name = base if n == 1 else f"{base}{n}"
        while name in taken:
            n += 1
            name = f"{base}{n}"
        suffixes[base] = n + 1
        taken.add(name)
        return name

    for _ in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        code, city, state = rng.choice(zips)
        phone = f"+1{rng.choice(AREA_CODES[state])}555{rng.randint(100, 199):04d}"
        address = f"{rng.randint(1, 9899)} {rng.choice(STREETS)}"
        start = first_day + timedelta(days=rng.randrange((today - first_day).days + 1))
        roll = rng.random()
        status = "closed" if roll < 0.03 else "suspended" if roll < 0.08 else "active"
        closed = start + timedelta(days=rng.randrange((today - start).days + 1)) if status == "closed" else None
        if rng.random() < 0.2:
            firm = f"{rng.choice(FIRM_WORDS)} {rng.choice(FIRM_TRADES)}"
            company = f"{firm} {rng.choice(FIRM_SUFFIXES)}".strip()
            form = {"type": "commercial", "name": firm, "company": company, "contact": f"{first} {last}",
                    "email": f"office@{_slug(firm)}.example", "plan": None, "remote_host": None,
                    "billing_category": rng.choice(("small-business", "small-business", "enterprise", "nonprofit", "education")),
                    "payment_terms": rng.choice([t for t in terms if t != "due-on-receipt"] or terms),
                    "tax_exempt": f"EX-{rng.randint(10000, 99999)}" if rng.random() < 0.15 else None,
                    "logins": [login_for(f"{_slug(firm)[:12]}{i or ''}") for i in range(rng.randint(1, 3))],
                    "tags": sorted(rng.sample(tags, k=min(len(tags), rng.randint(0, 2))))}
        else:
            plan = rng.choice(plan_codes)
            login = login_for(f"{first[0]}{last}".lower())
            form = {"type": "individual", "name": f"{first} {last}", "company": None, "contact": None,
                    "email": f"{first}.{last}@example.{rng.choice(('com', 'net', 'org'))}".lower(),
                    "plan": plan, "remote_host": f"{login}.dyn.example.net" if rng.random() < 0.1 else None,
                    "billing_category": "residential", "payment_terms": rng.choice(("due-on-receipt", "net-15")),
                    "tax_exempt": None, "logins": [login], "tags": []}
        form.update(address=address, city=city, state=state, postal_code=code, country="US", phone=phone,
                    pc_type=rng.choice(pc_types), source=rng.choice(sources), start_date=start.isoformat(),
                    close_date=closed.isoformat() if closed else None, status=status, notes=None)
        yield form


def add_customers(actor: Actor, count: int, seed: int = 2026) -> tuple[int, int]:
    """Generate ``count`` customers and write them through the import's bulk path; returns (first id, last id)."""
    if count <= 0:
        return 0, 0
    first_id = customers.next_account_number()
    customer_import.insert(zip(itertools.count(first_id), customer_forms(count, seed)))
    last_id = first_id + count - 1
    audit.record(actor, "customer", {"demo": [None, {"customers": count, "first": first_id, "last": last_id}]})
    return first_id, last_id


def build(actor: Actor, count: int) -> list[tuple[str, str]]:
    """Plans and ``count`` customers in one transaction; returns (title, text) sections for the demo to show."""
    from tabulate import tabulate

    with db.atomic():
        add_plans(actor)
        add_customers(actor, count)
    catalogue = [[p["code"], p["name"], p["monthly_fee"], p["included_hours"] or "", p["included_gb"] or ""] for p in plans.list_plans()]
    mix = Customer.select(Customer.type, Customer.status, fn.COUNT(Customer.id)).group_by(Customer.type, Customer.status)
    sample = [[r["id"], r["type"], r["name"], r["city"], r["state"], " ".join(r["logins"])]
              for _, r in zip(range(8), customers.list_customers(status="active"))]
    return [
        ("Plans", tabulate(catalogue, headers=["code", "name", "monthly_fee", "hours", "GB"], disable_numparse=True)),
        ("Customers", tabulate(list(mix.order_by(Customer.type, Customer.status).tuples()), headers=["type", "status", "count"])
         + "\n\n" + tabulate(sample, headers=["id", "type", "name", "city", "state", "logins"], disable_numparse=True)),
    ]
