"""Demo data: the program (tiers, stores, catalogue), named demo members and a
deterministic generator of members with purchase history."""
