package dev.waybill.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The shipped dashboard and alert rules are well formed and cover what an operator watches. */
class DeployFilesTest {
  final DeployFiles files = new DeployFiles();

  @Test
  void theDashboardHasTheStructureGrafanaImports() {
    assertThat(files.dashboardProblems()).isEmpty();
  }

  @Test
  void everyRuleHasAnAlertAnExpressionADurationASeverityASummaryAndARunbook() {
    assertThat(files.ruleProblems()).isEmpty();
  }

  @Test
  void theDashboardShowsEveryMetricAnOperatorWatches() {
    String exprs =
        files.expressions().stream()
            .filter(e -> e.where().startsWith("dashboard"))
            .map(DeployFiles.Expression::expr)
            .collect(Collectors.joining("\n"));
    assertThat(exprs)
        .contains(
            "waybill_relay_pending",
            "waybill_relay_oldest_age_seconds",
            "waybill_relay_published_total",
            "waybill_relay_publish_latency_seconds_bucket",
            "waybill_relay_dead_letters",
            "waybill_relay_parked_keys",
            "waybill_relay_shards_owned",
            "waybill_relay_lease_losses_total",
            "waybill_relay_retried_total",
            "waybill_relay_cdc_slot_lag_bytes",
            "waybill_inbox_lag",
            "waybill_inbox_duplicates_total",
            "waybill_inbox_retries_total",
            "waybill_inbox_dead_lettered_total");
  }

  @Test
  void theRulesAlertOnOutboxAgeDeadLettersUnownedShardsSlotLagAndAStuckConsumer() {
    List<String> alerts = new ArrayList<>();
    for (JsonNode group : files.rules.path("groups")) {
      group.path("rules").forEach(r -> alerts.add(r.path("alert").asText()));
    }
    assertThat(alerts)
        .contains(
            "WaybillOutboxMessageTooOld",
            "WaybillOutboxDeadLetters",
            "WaybillInboxDeadLetters",
            "WaybillNoRelayOwnsShards",
            "WaybillCdcSlotLag",
            "WaybillInboxConsumerStuck");
  }

  @Test
  void everyAlertHasARowInTheOperationsGuide() throws Exception {
    String guide = Files.readString(DeployFiles.DEPLOY.resolveSibling("docs/operations.md"));
    for (JsonNode group : files.rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        assertThat(guide)
            .as("docs/operations.md explains alert %s", rule.path("alert").asText())
            .contains("| `" + rule.path("alert").asText() + "` |");
      }
    }
  }
}
