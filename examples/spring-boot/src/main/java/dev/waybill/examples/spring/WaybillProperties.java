package dev.waybill.examples.spring;

import dev.waybill.relay.RelayConfig;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where Waybill's relay and consumer find Kafka, and the relay's name ({@code waybill.*}).
 *
 * @param kafkaBootstrapServers the Kafka brokers, {@code host:port[,host:port]} ({@code
 *     waybill.kafka-bootstrap-servers})
 * @param relayInstanceId this relay's name in logs, leases and status; must be unique among the
 *     running relays ({@code waybill.relay-instance-id}); when empty, host-pid
 */
@ConfigurationProperties("waybill")
public record WaybillProperties(String kafkaBootstrapServers, String relayInstanceId) {

  /** The relay's instance id: the one set, else {@link RelayConfig#defaultInstanceId()}. */
  public String relayInstanceIdOrDefault() {
    return relayInstanceId == null || relayInstanceId.isBlank()
        ? RelayConfig.defaultInstanceId()
        : relayInstanceId;
  }
}
