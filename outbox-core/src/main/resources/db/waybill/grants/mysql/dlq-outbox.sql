-- dlq.jar outbox list, retry and discard (list counts the messages
-- waiting behind each dead letter in the outbox). Run in the application's database.
GRANT SELECT, DELETE ON waybill_outbox_dead_letter TO 'dlq_operator'@'%';
GRANT SELECT, INSERT ON waybill_outbox TO 'dlq_operator'@'%';
