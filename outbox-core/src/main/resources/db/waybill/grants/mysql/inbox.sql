-- The inbox consumer (InboxConsumer, Inbox). Run in the application's database.
-- Parking a key that is already parked is an INSERT ... ON DUPLICATE KEY UPDATE, which
-- MariaDB checks against UPDATE on the key's columns.
GRANT SELECT, INSERT, DELETE ON waybill_inbox TO 'inbox_consumer'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE ON waybill_inbox_parked TO 'inbox_consumer'@'%';
