package org.aleph4j.crn.prepare;

import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.aleph4j.crn.CrnException;
import org.aleph4j.message.content.CodeContent;
import org.aleph4j.message.content.Encoding;
import org.aleph4j.message.content.Interface;

/** Where a program's code sits in its unpacked tree: the code root, and the name of plain (one-file) code. */
final class CodeLayout {
    private CodeLayout() {}

    /** Plain code is one file: a Python module named after the ASGI module, or the binary entrypoint itself. */
    static String plainName(CodeContent code) {
        String ep = code.entrypoint();
        String name = code.effectiveInterface() == Interface.ASGI ? ep.substring(0, ep.indexOf(':')).replace('.', '_') + ".py" : ep;
        try {
            name = Path.of(name).getFileName().toString();
        } catch (InvalidPathException | NullPointerException e) {
            return "program";
        }
        return name.isBlank() || name.startsWith(".") ? "program" : name;
    }

    /**
     * Archives made from a directory sometimes hold that directory as their only top entry; use it
     * as the root when the entrypoint is found there and not at the top. The root is returned as a
     * real path inside the unpacked tree (a link never becomes the root).
     */
    static Path root(Path dir, CodeContent code) {
        Path top = CodeTree.contained(dir, dir);
        if (top == null) throw new CrnException(500, "code directory " + dir + " vanished");
        String ep = code.entrypoint();
        String rel = code.effectiveInterface() == Interface.ASGI && ep.indexOf(':') > 0
                ? ep.substring(0, ep.indexOf(':')).replace('.', '/') : ep;
        if (code.encoding() == Encoding.PLAIN || exists(top, rel, code)) return top;
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(top)) {
            ds.forEach(children::add);
        } catch (IOException e) {
            return top;
        }
        if (children.size() == 1 && Files.isDirectory(children.get(0), LinkOption.NOFOLLOW_LINKS)
                && exists(children.get(0), rel, code)) {
            Path inner = CodeTree.contained(top, children.get(0));
            if (inner != null) return inner;
        }
        return top;
    }

    /** True when the entrypoint's file is in {@code dir}; never looks outside it. */
    private static boolean exists(Path dir, String rel, CodeContent code) {
        try {
            List<Path> candidates = code.effectiveInterface() == Interface.ASGI
                    ? List.of(dir.resolve(rel + ".py"), dir.resolve(rel).resolve("__init__.py")) : List.of(dir.resolve(rel));
            for (Path c : candidates) {
                if (!c.normalize().startsWith(dir)) continue;
                Path real = CodeTree.contained(dir, c);
                if (real != null && Files.isRegularFile(real)) return true;
            }
            return false;
        } catch (InvalidPathException e) {
            return false;
        }
    }
}
