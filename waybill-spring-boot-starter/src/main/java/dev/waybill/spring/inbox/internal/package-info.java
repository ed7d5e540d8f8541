/** Plumbing of the inbox auto-configuration. Not API: may change in any release. */
package dev.waybill.spring.inbox.internal;
