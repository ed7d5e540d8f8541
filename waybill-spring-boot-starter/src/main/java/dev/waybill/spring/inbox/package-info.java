/**
 * Spring Boot support for Waybill's inbox: {@link dev.waybill.spring.inbox.InboxHandler} methods
 * run by inbox consumers inside Spring transactions, {@link dev.waybill.spring.inbox.InboxOnce} for
 * {@code @KafkaListener} methods, and the {@link dev.waybill.spring.inbox.SpringTransactionRunner}
 * behind both. API.
 */
package dev.waybill.spring.inbox;
