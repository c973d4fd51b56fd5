-- The Audit log lists rows by id (newest first). An operator who is not a platform admin
-- sees only the rows of their organizations; without an index that starts with the
-- organization, PostgreSQL walks the id index backwards and filters, which at millions of
-- audit rows means reading most of them for one page. With (organization_id, id) each of
-- the operator's organizations is read in id order directly.
CREATE INDEX audit_log_organization_id_id_idx ON audit_log (organization_id, id);
