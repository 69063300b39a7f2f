package org.aleph4j.cli.account;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.BaseCommand;
import org.aleph4j.cli.CliException;
import org.aleph4j.cli.Ctx;
import org.aleph4j.cli.OutputFormat;
import org.aleph4j.cli.GroupCommand;
import org.aleph4j.client.Balance;
import org.aleph4j.client.account.AccountStore;
import org.aleph4j.client.account.KeyFiles;
import org.aleph4j.message.EthAccount;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.security.SecureRandom;

/** {@code aleph account ...}. */
@Command(name = "account", description = "Manage keys and read balances.",
        subcommands = {AccountCommand.Create.class, AccountCommand.Address.class, AccountCommand.Show.class,
                AccountCommand.BalanceCmd.class, AccountCommand.ListCmd.class, AccountCommand.ExportPrivateKey.class,
                AccountCommand.SignBytes.class, AccountCommand.Config.class})
public final class AccountCommand extends GroupCommand {

    @Command(name = "create", description = "Create (or import with --private-key) a key and store it in the key file.")
    public static final class Create extends BaseCommand {
        @Option(names = "--replace", description = "Overwrite an existing key file.")
        boolean replace;

        public Create(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            AccountStore store = settings().accounts();
            Path file = privateKeyFile != null ? privateKeyFile : settings().defaultKeyFile();
            EthAccount a = privateKey != null ? store.importHex(privateKey, file, replace)
                    : store.create(file, replace, new SecureRandom());
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("address", a.address());
                o.put("path", file.toString());
                o.put("chain", "ETH");
                printJson(o);
            } else {
                ctx.out().println("Private key stored in " + file);
                ctx.out().println("Address: " + a.address());
            }
            return 0;
        }
    }

    @Command(name = "address", description = "Print the address of the current key.")
    public static final class Address extends BaseCommand {
        public Address(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            EthAccount a = account();
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("address", a.address());
                printJson(o);
            } else {
                ctx.out().println(a.address());
            }
            return 0;
        }
    }

    @Command(name = "show", description = "Show the current key file, address and chain.")
    public static final class Show extends BaseCommand {
        public Show(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            EthAccount a = account();
            String path = privateKey != null ? "(--private-key)"
                    : (privateKeyFile != null ? privateKeyFile : settings().defaultKeyFile()).toString();
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("address", a.address());
                o.put("path", path);
                o.put("chain", "ETH");
                o.put("config_home", settings().home().toString());
                printJson(o);
            } else {
                ctx.out().println("Address:     " + a.address());
                ctx.out().println("Key file:    " + path);
                ctx.out().println("Chain:       ETH");
                ctx.out().println("Config home: " + settings().home());
            }
            return 0;
        }
    }

    @Command(name = "balance", description = "Show the balance, locked and available ALEPH of an address.")
    public static final class BalanceCmd extends BaseCommand {
        @Option(names = "--address", paramLabel = "ADDRESS", description = "Address to look up (default: your account).")
        String address;

        public BalanceCmd(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            if (address != null && !address.strip().matches("0x[0-9a-fA-F]{40}")) {
                throw CliException.usage("--address '" + address + "' is not an Ethereum address (0x + 40 hex digits) — pass one, or omit --address for your account");
            }
            String addr = address != null ? address.strip() : account().address();
            Balance b = ccn().balance(addr);
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("address", b.address());
                o.put("balance", OutputFormat.amount(b.balance()));
                o.put("locked_amount", OutputFormat.amount(b.lockedAmount()));
                o.put("available", OutputFormat.amount(b.available()));
                o.put("credit_balance", OutputFormat.amount(String.valueOf(b.creditBalance())));
                if (b.details() != null) o.set("details", amountsByChain(b.details()));
                printJson(o);
            } else {
                ctx.out().println("Address:   " + b.address());
                ctx.out().println("Balance:   " + OutputFormat.amount(b.balance()) + " ALEPH");
                ctx.out().println("Locked:    " + OutputFormat.amount(b.lockedAmount()) + " ALEPH");
                ctx.out().println("Available: " + OutputFormat.amount(b.available()) + " ALEPH");
                ctx.out().println("Credits:   " + OutputFormat.amount(String.valueOf(b.creditBalance())));
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List the key files in the config home.")
    public static final class ListCmd extends BaseCommand {
        public ListCmd(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            Path dflt = settings().defaultKeyFile().toAbsolutePath();
            ArrayNode arr = JsonNodeFactory.instance.arrayNode();
            for (Path p : settings().accounts().keyFiles()) {
                ObjectNode o = arr.addObject();
                o.put("path", p.toString());
                try {
                    o.put("address", KeyFiles.read(p).address());
                } catch (IOException | IllegalArgumentException e) {
                    o.put("error", "unreadable key file");
                }
                o.put("default", p.toAbsolutePath().equals(dflt));
            }
            if (json) {
                printJson(arr);
            } else if (arr.isEmpty()) {
                ctx.out().println("No key files in " + settings().accounts().keysDir() + " — create one with `aleph account create`");
            } else {
                arr.forEach(o -> ctx.out().println((o.path("default").asBoolean() ? "* " : "  ")
                        + o.path("address").asText(o.path("error").asText()) + "  " + o.path("path").asText()));
            }
            return 0;
        }
    }

    @Command(name = "export-private-key", description = "Print the private key of the current account (hex, 0x-prefixed).",
            footer = {"", "Example:", "  aleph account export-private-key --private-key-file ~/.aleph-im/private-keys/ethereum.key"})
    public static final class ExportPrivateKey extends BaseCommand {
        public ExportPrivateKey(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            EthAccount a = account();
            String hex = "0x" + HexFormat.of().formatHex(a.privateKeyBytes());
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("address", a.address());
                o.put("chain", "ETH");
                o.put("private_key", hex);
                printJson(o);
            } else {
                // Upstream prints EVM and SOL keys; aleph4j only has EVM (secp256k1) accounts.
                ctx.out().println("Private key of " + a.address() + " (keep it secret; the aleph team will never ask for it):");
                ctx.out().println("EVM: " + hex);
            }
            return 0;
        }
    }

    @Command(name = "sign-bytes", description = "Sign a message's bytes (EIP-191 personal_sign) and print the 0x signature.",
            footer = {"", "Examples:", "  aleph account sign-bytes --message 'hello'", "  printf hello | aleph account sign-bytes"})
    public static final class SignBytes extends BaseCommand {
        @Option(names = "--message", paramLabel = "TEXT", description = "Text to sign (UTF-8); default: standard input.")
        String message;

        @Option(names = "--chain", paramLabel = "CHAIN", description = "Chain of the key; only ETH is supported.")
        String chain;

        public SignBytes(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            requireEth(chain);
            EthAccount a = account();
            String text = message != null ? message : ctx.readStdin();
            if (text.isEmpty()) throw CliException.usage("nothing to sign: pass --message TEXT or pipe the message on standard input");
            String sig = a.signEip191(text.getBytes(StandardCharsets.UTF_8));
            if (!sig.startsWith("0x")) sig = "0x" + sig;
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("address", a.address());
                o.put("message", text);
                o.put("signature", sig);
                printJson(o);
            } else {
                ctx.out().println("Signature: " + sig);
            }
            return 0;
        }
    }

    @Command(name = "config", description = "Show or set the default key file and chain (config.json in the config home).",
            footer = {"", "Examples:", "  aleph account config                     (show)",
                    "  aleph account config --private-key-file work.key --chain ETH"})
    public static final class Config extends BaseCommand {
        @Option(names = "--chain", paramLabel = "CHAIN", description = "New active chain; only ETH is supported.")
        String chain;

        @Option(names = "--address", paramLabel = "ADDRESS", hidden = true, description = "Upstream: the address of a hardware wallet.")
        String address;

        @Option(names = "--account-type", paramLabel = "TYPE", description = "Upstream's account type; only `imported` (a key file) is supported.")
        String accountType;

        @Option(names = "--derivation-path", paramLabel = "PATH", hidden = true, description = "Upstream: Ledger derivation path.")
        String derivationPath;

        @Option(names = "--non-it", description = "Accepted for compatibility: aleph4j never prompts.")
        boolean nonInteractive;

        public Config(Ctx ctx) {
            super(ctx);
        }

        @Override
        protected int execute() throws IOException {
            requireEth(chain);
            if (accountType != null && !accountType.equalsIgnoreCase("imported")) {
                throw CliException.usage("--account-type " + accountType + ": only `imported` (a key file) is supported; hardware wallets are not");
            }
            if (address != null || derivationPath != null) {
                throw CliException.usage((address != null ? "--address" : "--derivation-path")
                        + " configures a hardware wallet, which aleph4j does not support; set a key file with --private-key-file");
            }
            if (privateKey != null) throw CliException.usage("account config stores a key file path, not a key: pass --private-key-file");
            ObjectNode config = settings().config();
            boolean changed = false;
            if (privateKeyFile != null) {
                Path f = privateKeyFile;
                // As upstream: a bare name is a key in <home>/private-keys, with the .key suffix added.
                if (!f.getFileName().toString().endsWith(".key")) f = f.resolveSibling(f.getFileName() + ".key");
                if (f.getParent() == null) f = settings().accounts().keysDir().resolve(f);
                f = f.toAbsolutePath().normalize();
                if (!Files.isRegularFile(f)) throw new CliException("private key file not found: " + f + " — create it with `aleph account create --private-key-file " + f + "`");
                EthAccount a;
                try {
                    a = KeyFiles.read(f);
                } catch (IllegalArgumentException e) {
                    throw new CliException(f + " is not a key file: " + e.getMessage());
                }
                config.put("path", f.toString());
                config.put("address", a.address());
                changed = true;
            }
            if (chain != null) {
                config.put("chain", "ETH");
                changed = true;
            }
            if (changed) {
                config.put("type", "imported");
                if (!config.has("chain")) config.put("chain", "ETH");
                settings().writeConfig(config);
            }
            String path = config.hasNonNull("path") ? config.get("path").asText() : settings().accounts().defaultKeyFile().toString();
            String chainNow = config.path("chain").asText("ETH");
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("path", path);
                o.put("chain", chainNow);
                o.put("config_file", settings().configFile().toString());
                o.put("updated", changed);
                printJson(o);
            } else {
                if (changed) ctx.out().println("Private key " + path + " on chain " + chainNow + " is now your default configuration.");
                else {
                    ctx.out().println("Key file:    " + path);
                    ctx.out().println("Chain:       " + chainNow);
                    ctx.out().println("Config file: " + settings().configFile());
                }
            }
            return 0;
        }
    }

    static void requireEth(String chain) {
        if (chain != null && !chain.strip().equalsIgnoreCase("ETH")) {
            throw CliException.usage("--chain " + chain + ": only ETH is supported on this network");
        }
    }

    /** The balance's per-chain details ({@code {"ETH": 35219.07}}) with each amount as a decimal string. */
    static JsonNode amountsByChain(JsonNode details) {
        if (!(details instanceof ObjectNode o)) return details;
        ObjectNode out = o.deepCopy();
        o.fields().forEachRemaining(e -> {
            if (e.getValue().isNumber()) out.put(e.getKey(), OutputFormat.amount(e.getValue().decimalValue()));
        });
        return out;
    }
}
