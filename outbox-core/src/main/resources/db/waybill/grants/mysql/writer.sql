-- The application's writer (Outbox.write). Run in the application's database.
GRANT INSERT ON waybill_outbox TO 'app_writer'@'%';
