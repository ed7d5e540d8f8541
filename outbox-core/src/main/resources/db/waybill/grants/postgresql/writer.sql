-- The application's writer (Outbox.write), outbox.write.mode=table. Run as the tables' owner.
GRANT INSERT ON waybill_outbox TO app_writer;
-- only with outbox.write.delete=true (the writer deletes its own row in the same transaction):
-- GRANT SELECT (seq), DELETE ON waybill_outbox TO app_writer;
