-- The polling relay (and outbox-relay.jar status). Run in the application's database.
GRANT SELECT, DELETE ON waybill_outbox TO 'outbox_relay'@'%';
GRANT SELECT, INSERT ON waybill_outbox_dead_letter TO 'outbox_relay'@'%';
GRANT SELECT, INSERT, UPDATE ON waybill_relay_lease TO 'outbox_relay'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE ON waybill_relay_instance TO 'outbox_relay'@'%';
GRANT SELECT ON waybill_schema_history TO 'outbox_relay'@'%';
