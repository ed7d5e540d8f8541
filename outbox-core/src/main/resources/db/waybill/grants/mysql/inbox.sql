-- The inbox consumer (InboxConsumer, Inbox). Run in the application's database.
GRANT SELECT, INSERT, DELETE ON waybill_inbox TO 'inbox_consumer'@'%';
GRANT SELECT, INSERT, DELETE ON waybill_inbox_parked TO 'inbox_consumer'@'%';
