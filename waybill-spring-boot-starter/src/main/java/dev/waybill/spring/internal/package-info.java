/**
 * Plumbing of the Spring Boot starter (transaction binding, property translation, lifecycle
 * adapters). Not API: anything here may change in any release.
 */
package dev.waybill.spring.internal;
