package org.aleph4j.cli.program;

import org.aleph4j.cli.BaseCommand;
import org.aleph4j.cli.Ctx;
import org.aleph4j.message.HostLabels;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Options and helpers shared by the {@code aleph program} subcommands: the CRN and domain that say
 * where a program can be reached, and the few formatting helpers several subcommands print with.
 */
abstract class ReachingCommand extends BaseCommand {
    @Option(names = "--crn-url", paramLabel = "URL",
            description = "CRN serving programs (env ALEPH_CRN_URL, config crn_url; default http://127.0.0.1:4041).")
    String crnUrl;

    @Option(names = "--vm-domain", paramLabel = "DOMAIN",
            description = "Domain of <base32(hash)>.<domain> host routing (env ALEPH_VM_DOMAIN; default aleph.localhost).")
    String vmDomain;

    ReachingCommand(Ctx ctx) {
        super(ctx);
    }

    URI crn() {
        return settings().crnUrl(crnUrl);
    }

    String domain() {
        return settings().vmDomain(vmDomain);
    }

    String vmUrl(String hash) {
        return stripSlash(crn().toString()) + "/vm/" + hash;
    }

    String hostUrl(String hash) {
        URI c = crn();
        return c.getScheme() + "://" + HostLabels.label(hash) + "." + domain() + (c.getPort() < 0 ? "" : ":" + c.getPort());
    }

    void printUrls(String hash) {
        ctx.out().println("Available on:");
        ctx.out().println("  " + vmUrl(hash));
        ctx.out().println("  " + hostUrl(hash));
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), MessageDigest.getInstance("SHA-256"))) {
            in.transferTo(OutputStream.nullOutputStream());
            return HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String stripSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }
}
