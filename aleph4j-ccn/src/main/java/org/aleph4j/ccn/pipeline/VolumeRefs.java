package org.aleph4j.ccn.pipeline;

import java.util.ArrayList;
import java.util.List;
import org.aleph4j.message.content.Content;
import org.aleph4j.message.content.InstanceContent;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.message.content.Volume;

/** The STORE messages (or file tags) a program or instance refers to, and so keeps from being forgotten. */
final class VolumeRefs {
    private VolumeRefs() {}

    /** The STORE refs a PROGRAM needs: code, runtime, data, immutable volumes and persistent volumes' parents. */
    static List<String> of(ProgramContent c) {
        List<String> refs = new ArrayList<>();
        if (c.code() != null) refs.add(c.code().ref());
        if (c.runtime() != null) refs.add(c.runtime().ref());
        if (c.data() != null && c.data().ref() != null) refs.add(c.data().ref());
        for (Volume v : c.volumes()) {
            if (v instanceof Volume.Immutable im) refs.add(im.ref());
            if (v instanceof Volume.Persistent s && s.parent() != null) refs.add(s.parent().ref());
        }
        return refs;
    }

    /** The refs a live PROGRAM or INSTANCE pins (an instance's rootfs parent may be null); none for other types. */
    static List<String> of(Content content) {
        return switch (content) {
            case ProgramContent pc -> of(pc);
            case InstanceContent ic -> {
                List<String> l = new ArrayList<>();
                if (ic.rootfs() != null) l.add(ic.rootfs().path("parent").path("ref").asText(null));
                for (Volume v : ic.volumes()) if (v instanceof Volume.Immutable im) l.add(im.ref());
                yield l;
            }
            default -> List.of();
        };
    }
}
