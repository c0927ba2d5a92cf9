"""Plans with their price history, customers, tags and logins."""

from wwwtrak.models import Customer, CustomerTag, Login, Plan, PlanPrice, database


def up():
    database.create_tables([Plan, PlanPrice, Customer, CustomerTag, Login])
