"""Month-end billing: the pricing rules, the engine that drafts invoices, and the runner that saves them."""
