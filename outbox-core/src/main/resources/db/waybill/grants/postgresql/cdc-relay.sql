-- The CDC relay (relay.mode=cdc) with relay.cdc.create=false. Run as a superuser. The publication
-- and the slot are created beforehand by the tables' owner (see docs/cdc.md).
ALTER ROLE cdc_relay REPLICATION;
GRANT SELECT, DELETE ON waybill_outbox TO cdc_relay;
GRANT SELECT, INSERT ON waybill_outbox_dead_letter TO cdc_relay;
GRANT SELECT ON waybill_schema_history TO cdc_relay;
-- the relay's heartbeat; needed once EXECUTE was revoked from PUBLIC (writer-message.sql)
GRANT EXECUTE ON FUNCTION pg_logical_emit_message(boolean, text, text) TO cdc_relay;
