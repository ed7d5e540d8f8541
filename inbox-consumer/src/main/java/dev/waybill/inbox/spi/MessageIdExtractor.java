package dev.waybill.inbox.spi;

import dev.waybill.outbox.wire.CloudEventHeaders;
import dev.waybill.outbox.wire.Utf8;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Reads the id the inbox records for a Kafka record. The default, {@link #cloudEvents()}, reads the
 * {@code ce_id} header the relay writes; {@link #header(String)} reads another header; a lambda can
 * read a payload field. Return empty when the record has no id: the consumer then applies its
 * {@link dev.waybill.inbox.MissingIdPolicy}.
 *
 * <p>Must be thread-safe and fast (called once per record on the polling thread), and must return
 * the same id every time for the same message: that is what makes duplicates recognisable. The
 * consumer checks every id it is given before it reaches the database: a blank id, one longer than
 * 255 characters, or one holding a control character (U+0000 to U+001F, U+007F to U+009F) or an
 * unpaired surrogate is rejected, and the record dead-lettered with reason {@code invalid-id}.
 */
@FunctionalInterface
public interface MessageIdExtractor {

  /**
   * The message id of {@code record}, or empty when it has none.
   *
   * @param record the raw record
   * @return the id, or empty
   * @throws RuntimeException when the record is malformed; it is then dead-lettered with reason
   *     {@code invalid-id}
   */
  Optional<String> messageId(ConsumerRecord<byte[], byte[]> record);

  /**
   * The CloudEvents id, header {@code ce_id} (UTF-8): what Waybill's relay writes.
   *
   * @return the default extractor
   */
  static MessageIdExtractor cloudEvents() {
    return header(CloudEventHeaders.ID);
  }

  /**
   * The last header called {@code name}, as UTF-8 text; empty when absent or blank. A value that is
   * not valid UTF-8 is refused (an {@link IllegalArgumentException}: the record is dead-lettered
   * with reason {@code invalid-id}), never decoded to U+FFFD, so two different malformed ids never
   * become the same id.
   *
   * @param name the header name
   * @return an extractor reading that header
   */
  static MessageIdExtractor header(String name) {
    Objects.requireNonNull(name, "name");
    return record -> {
      Header h = record.headers().lastHeader(name);
      if (h == null || h.value() == null) {
        return Optional.empty();
      }
      String id =
          Utf8.decodeStrict(h.value())
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "header "
                              + name
                              + " ("
                              + h.value().length
                              + " bytes) is not valid UTF-8: the message id must be UTF-8 text"))
              .trim();
      return id.isEmpty() ? Optional.empty() : Optional.of(id);
    };
  }
}
