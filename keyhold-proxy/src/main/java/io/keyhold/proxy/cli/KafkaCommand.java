package io.keyhold.proxy.cli;

import picocli.CommandLine.Command;

/** {@code keyhold kafka ...}: tools that look at Kafka itself. */
@Command(name = "kafka", mixinStandardHelpOptions = true, description = "Tools that look at Kafka data directly.",
        subcommands = {VerifyAtRestCommand.class})
public final class KafkaCommand {
}
