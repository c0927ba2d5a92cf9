"""Plans with their price history, customers, tags and logins."""

from wwwtrak.models import Customer, CustomerTag, Login, Plan, PlanPrice, database


def up():
    database.create_tables([Plan, PlanPrice, Customer, CustomerTag, Login])
    # 'customer show' reads a customer's latest audit entries (audit.recent_for).
    database.execute_sql('CREATE INDEX IF NOT EXISTS "audit_entry_target_id" ON "audit_entry" ("target", "id")')
