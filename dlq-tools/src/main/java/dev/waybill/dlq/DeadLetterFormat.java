package dev.waybill.dlq;

/** Who wrote a dead-letter record, recognized from its headers. */
public enum DeadLetterFormat {
  /** Waybill's inbox consumer: {@code waybill_dlt-*} plus Spring-compatible {@code kafka_dlt-*}. */
  WAYBILL,
  /** Spring Kafka's {@code DeadLetterPublishingRecoverer}: {@code kafka_dlt-*} headers. */
  SPRING,
  /** Kafka Connect's error reporter ({@code errors.deadletterqueue.context.headers.enable}). */
  CONNECT,
  /**
   * The broker's dead-letter queue of a share group: {@code __dlq.errors.*} text headers, the
   * original record's headers never copied and its key and value only when the group copies them.
   */
  SHARE_GROUP,
  /** No known dead-letter header: shown with what the record itself says. */
  UNKNOWN
}
