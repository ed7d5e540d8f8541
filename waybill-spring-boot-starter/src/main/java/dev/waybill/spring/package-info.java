/**
 * Spring Boot auto-configuration for Waybill: an {@code Outbox} that joins the Spring-managed
 * transaction, {@code waybill.*} properties bound from Waybill's own setting definitions, schema
 * handling at start, an optional embedded relay tied to the application's lifecycle with its health
 * and metrics, and inbox handlers as beans. The classes of this package are API: the
 * auto-configurations, their property names and the beans they define.
 */
package dev.waybill.spring;
