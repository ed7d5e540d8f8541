package dev.waybill.examples.spring;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.waybill.outbox.Payload;
import dev.waybill.outbox.spi.PayloadSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The event the orders service publishes when an order is placed: the JSON payload of a message of
 * type {@value #TYPE}, keyed by the order id.
 *
 * @param orderId the order's id, also the Kafka record key
 * @param customer who placed it
 * @param amountCents what it costs, in cents
 */
public record OrderPlaced(String orderId, String customer, long amountCents) {

  /** The event type, published as CloudEvents {@code ce_type}. */
  public static final String TYPE = "OrderPlaced";

  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** Jackson as Waybill's payload serializer: any record becomes {@code application/json}. */
  public static final PayloadSerializer<Object> JSON =
      value -> {
        try {
          return Payload.of(MAPPER.writeValueAsBytes(value), Payload.APPLICATION_JSON);
        } catch (JsonProcessingException e) {
          throw new UncheckedIOException("cannot serialize " + value.getClass().getName(), e);
        }
      };

  /** Reads the event back from a consumed record's value. */
  public static OrderPlaced fromJson(byte[] json) {
    try {
      return MAPPER.readValue(json, OrderPlaced.class);
    } catch (IOException e) {
      throw new UncheckedIOException("not an OrderPlaced event: " + e.getMessage(), e);
    }
  }
}
