package dev.waybill.relay;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * A producer interceptor (set through {@code kafka.interceptor.classes}) that throws an {@link
 * OutOfMemoryError} from the producer's I/O thread at the first acknowledgement, as a real one
 * would under memory pressure: the thread dies, and no send through that producer ever completes.
 * Only the I/O thread: for a send that fails in the sending thread, Kafka calls it there too.
 */
public final class DyingInterceptor implements ProducerInterceptor<byte[], byte[]> {
  @Override
  public ProducerRecord<byte[], byte[]> onSend(ProducerRecord<byte[], byte[]> record) {
    return record;
  }

  @Override
  public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
    // also called in the sending thread for a send that fails there (no metadata yet): not then
    String thread = Thread.currentThread().getName();
    if (thread.startsWith("kafka-producer-network-thread")) {
      throw new OutOfMemoryError("injected by the test in " + thread);
    }
  }

  @Override
  public void close() {}

  @Override
  public void configure(Map<String, ?> configs) {}
}
