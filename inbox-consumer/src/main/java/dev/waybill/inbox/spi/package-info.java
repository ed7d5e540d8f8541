/**
 * Pluggable parts of the inbox consumer: how the message id is read ({@link
 * dev.waybill.inbox.spi.MessageIdExtractor}), how old messages are upgraded ({@link
 * dev.waybill.inbox.spi.Upcaster}) and who opens the handler's transaction ({@link
 * dev.waybill.inbox.spi.TransactionRunner}). API.
 */
package dev.waybill.inbox.spi;
