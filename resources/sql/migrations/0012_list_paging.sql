-- The Usage screen lists records by (occurred_at, id), newest first. For a platform admin (no
-- organization named) the only index on that order was the partial one of unreported
-- records, so the first page sorted every record: seconds at a million records, tens of
-- seconds at ten million. With the full index a page is read in order and stops after it;
-- an organization's operator keeps using (organization_id, occurred_at, id).
CREATE INDEX usage_records_occurred_at_id_idx ON usage_records (occurred_at, id);
