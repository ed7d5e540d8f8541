package dev.waybill.spring.inbox.app;

/**
 * The event's JSON payload.
 *
 * @param orderId the order
 * @param amountCents its amount; negative ones make the handlers fail after writing
 */
public record OrderPlaced(String orderId, long amountCents) {}
