package org.aleph4j.cli.account;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.aleph4j.cli.BaseCommand;
import org.aleph4j.cli.Ctx;
import org.aleph4j.cli.GroupCommand;
import org.aleph4j.client.Balance;
import org.aleph4j.client.account.AccountStore;
import org.aleph4j.client.account.KeyFiles;
import org.aleph4j.message.EthAccount;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.security.SecureRandom;

/** {@code aleph account ...}. */
@Command(name = "account", description = "Manage keys and read balances.",
        subcommands = {AccountCommand.Create.class, AccountCommand.Address.class, AccountCommand.Show.class,
                AccountCommand.BalanceCmd.class, AccountCommand.ListCmd.class})
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
            String addr = address != null ? address : account().address();
            Balance b = ccn().balance(addr);
            if (json) {
                ObjectNode o = JsonNodeFactory.instance.objectNode();
                o.put("address", b.address());
                o.put("balance", b.balance());
                o.put("locked_amount", b.lockedAmount());
                o.put("available", b.available());
                o.put("credit_balance", b.creditBalance());
                if (b.details() != null) o.set("details", b.details());
                printJson(o);
            } else {
                ctx.out().println("Address:   " + b.address());
                ctx.out().println("Balance:   " + plain(b.balance()) + " ALEPH");
                ctx.out().println("Locked:    " + plain(b.lockedAmount()) + " ALEPH");
                ctx.out().println("Available: " + plain(b.available()) + " ALEPH");
                ctx.out().println("Credits:   " + b.creditBalance());
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

    static String plain(BigDecimal d) {
        return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
    }
}
