package dev.waybill.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import dev.waybill.inbox.InboxConfig;
import dev.waybill.outbox.config.Setting;
import dev.waybill.relay.RelayConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The relay and the inbox consumer declare their retry settings from one template. It lives here
 * because dlq-tools' tests see both modules.
 */
class SharedSettingsTest {

  @Test
  void theRelayAndTheInboxRetrySettingsDifferOnlyInFamilyAndDefault() {
    List<Setting<?>> relay = RelayConfig.RETRY.settings();
    List<Setting<?>> inbox = InboxConfig.RETRY.settings();
    assertThat(relay).hasSameSizeAs(inbox);
    for (int i = 0; i < relay.size(); i++) {
      Setting<?> r = relay.get(i);
      Setting<?> n = inbox.get(i);
      assertThat(r.key().substring("relay.".length()))
          .isEqualTo(n.key().substring("inbox.".length()));
      assertThat(r.kind()).as(r.key()).isEqualTo(n.kind());
      assertThat(r.type()).as(r.key()).isEqualTo(n.type());
      assertThat(r.min()).as(r.key()).isEqualTo(n.min());
      assertThat(r.max()).as(r.key()).isEqualTo(n.max());
    }
    assertThat(RelayConfig.SETTINGS).containsAll(relay);
    assertThat(InboxConfig.SETTINGS).containsAll(inbox);
  }
}
