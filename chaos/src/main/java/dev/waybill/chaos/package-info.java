/**
 * The chaos soak rig: PostgreSQL, a Kafka broker, polling relays and inbox consumers run as
 * separate processes while writers commit messages and seeded random faults hit every part; a
 * ledger computed from the database and the topics then checks Waybill's promises. A program, not
 * API: {@link dev.waybill.chaos.ChaosMain} is the entry point, {@link
 * dev.waybill.chaos.ConsumerMain} the consumer processes it starts. See docs/reliability.md.
 */
package dev.waybill.chaos;
