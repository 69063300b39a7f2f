package org.aleph4j.cli.program;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.cli.OutputFormat;
import org.aleph4j.client.crn.CrnClient;
import org.aleph4j.client.crn.OwnerAuth;
import org.aleph4j.message.EthAccount;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/** {@code aleph program logs}: an execution's logs from one CRN, signed by the owner. */
@Command(name = "logs", description = "Print a program's execution logs from a CRN (owner only).")
public final class LogsCommand extends ReachingCommand {
    @Parameters(index = "0", paramLabel = "HASH", description = "Program item hash.")
    String hash;

    @Option(names = "--domain", paramLabel = "URL", description = "Upstream's name for --crn-url: the CRN to ask.")
    String crnAlias;

    public LogsCommand(Ctx ctx) {
        super(ctx);
    }

    @Override
    protected int execute() throws IOException {
        requireHash(hash, "program hash");
        EthAccount account = account();
        URI crn = settings().crnUrl(crnAlias != null ? crnAlias : crnUrl);
        List<JsonNode> entries;
        try (CrnClient client = new CrnClient(crn, Duration.ofSeconds(timeoutSeconds))) {
            entries = client.logs(hash, new OwnerAuth(account, domain()));
        } catch (CrnClient.CrnException e) {
            if (e.httpStatus() == 404) throw new CliException("the CRN at " + crn + " has no execution of program " + hash
                    + " — find where it runs with `aleph program status " + hash + "`");
            if (e.httpStatus() == 403) throw new CliException("you are not the owner of program " + hash
                    + " — use the owner's key (--private-key-file)");
            if (e.httpStatus() == 401) throw new CliException("the CRN refused the signed request: " + e.getMessage()
                    + " — check the clock and --vm-domain (must match the CRN's domain)");
            throw e;
        }
        if (json) {
            printJson(entries);
            return 0;
        }
        ctx.out().println("Received logs");
        for (JsonNode e : entries) {
            ctx.out().println(OutputFormat.journalTime(e.path("__REALTIME_TIMESTAMP").asText()) + ">  " + e.path("MESSAGE").asText());
        }
        return 0;
    }
}
