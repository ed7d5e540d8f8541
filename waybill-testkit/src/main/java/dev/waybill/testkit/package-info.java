/**
 * Real databases and a real Kafka broker for Waybill's tests.
 *
 * <p>{@link dev.waybill.testkit.TestDatabases} hands out a new, empty database per call on a
 * PostgreSQL, MariaDB or H2 server that is started once per JVM; {@link
 * dev.waybill.testkit.TestKafka} is a single Kafka broker per JVM. Each engine comes from, in this
 * order: an address given through a system property or environment variable, Testcontainers when a
 * Docker engine is reachable, or an engine embedded in the test JVM (PostgreSQL and Kafka only).
 * {@link dev.waybill.testkit.SecuredKafka} is a second, in-process broker per JVM whose client
 * listener is {@code SASL_SSL} (SCRAM-SHA-512, a CA made at start) with Kafka's authorizer, for the
 * tests that need TLS, SASL and ACLs. Everything started here is stopped by a JVM shutdown hook.
 */
package dev.waybill.testkit;
