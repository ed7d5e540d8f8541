package dev.waybill.outbox.wire;

/**
 * The Kafka header names of Waybill's wire format: the CloudEvents 1.0 Kafka protocol binding in
 * binary content mode, plus W3C trace context. The relay writes them; the inbox consumer and the
 * DLQ tool read them. Kept here, in the module every other module depends on, so the names exist
 * once. Header values are UTF-8 text.
 */
public final class CloudEventHeaders {
  /** The message id (the outbox row's {@code id}). */
  public static final String ID = "ce_id";

  /** The event type (the row's {@code event_type}). */
  public static final String TYPE = "ce_type";

  /** The event source: a URI reference naming the producing application (a relay setting). */
  public static final String SOURCE = "ce_source";

  /** The CloudEvents spec version, always {@value #SPEC_VERSION}. */
  public static final String SPEC_VERSION_HEADER = "ce_specversion";

  /** The time the message was written (RFC 3339, the row's {@code created_at}). */
  public static final String TIME = "ce_time";

  /** The payload's media type (the row's {@code content_type}). */
  public static final String CONTENT_TYPE = "content-type";

  /** W3C trace context of the writing transaction, when there was one. */
  public static final String TRACEPARENT = "traceparent";

  /** The CloudEvents version Waybill speaks. */
  public static final String SPEC_VERSION = "1.0";

  private CloudEventHeaders() {}
}
