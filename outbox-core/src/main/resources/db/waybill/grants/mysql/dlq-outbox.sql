-- dlq.jar outbox list, retry and discard. Run in the application's database.
GRANT SELECT, DELETE ON waybill_outbox_dead_letter TO 'dlq_operator'@'%';
GRANT INSERT ON waybill_outbox TO 'dlq_operator'@'%';
