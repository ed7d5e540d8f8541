-- The inbox consumer (InboxConsumer, Inbox). Run as the tables' owner. The UPDATE of one column is
-- for housekeeping, which locks expired ids (FOR UPDATE SKIP LOCKED) before it deletes them.
GRANT SELECT, INSERT, DELETE, UPDATE (handled_at) ON waybill_inbox TO inbox_consumer;
GRANT SELECT, INSERT, DELETE ON waybill_inbox_parked TO inbox_consumer;
