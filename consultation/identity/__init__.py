"""Who a person is: local accounts, identity providers (FranceConnect, ProConnect), second
factor for staff, and the throttling of every door that checks a password."""
