package org.aleph4j.scheduler.watch;

import com.fasterxml.jackson.databind.JsonNode;
import org.aleph4j.client.StreamFrame;
import org.aleph4j.message.Json;
import org.aleph4j.message.MessageStatus;
import org.aleph4j.message.content.ProgramContent;
import org.aleph4j.scheduler.store.Records.PersistentVolume;
import org.aleph4j.scheduler.store.Records.ProgramRow;
import org.aleph4j.scheduler.store.Records.ProgramVolumes;
import org.aleph4j.message.content.Volume;
import org.aleph4j.message.content.VolumeIds;

import java.util.ArrayList;
import java.util.List;

/** What one CCN message means for the scheduler; {@link #of} is pure. */
public sealed interface StreamAction {
    /** Register a persistent program (and bring it back if it was removed for its balance). */
    record Add(ProgramRow program) implements StreamAction {}

    /** Remove a program's allocation and stop scheduling it. */
    record Remove(String itemHash, String reason) implements StreamAction {}

    /** Reason prefix of removals that a restored balance undoes. */
    String REMOVING = MessageStatus.REMOVING.value();

    /** Actions for a raw message frame; see {@link #of(StreamFrame)}. */
    static List<StreamAction> of(JsonNode m) {
        return of(StreamFrame.of(m));
    }

    /** Actions for a message frame (a frame without a status counts as processed). */
    static List<StreamAction> of(StreamFrame m) {
        List<StreamAction> out = new ArrayList<>();
        String type = m.type();
        String hash = m.itemHash();
        if (!m.hasHash()) return out;
        MessageStatus status = m.status();
        if (status == null || status == MessageStatus.PENDING) return out; // nothing to do yet
        if (status.terminal()) {
            out.add(new Remove(hash, "message " + status.value() + " at the CCN"));
            return out;
        }
        if (status == MessageStatus.REMOVING) {
            out.add(new Remove(hash, REMOVING + ": the owner's balance no longer covers it"));
            return out;
        }
        JsonNode content = m.content();
        if (content == null) return out;
        if ("FORGET".equals(type)) {
            for (JsonNode h : content.path("hashes")) out.add(new Remove(h.asText(), "forgotten by " + hash));
        } else if ("PROGRAM".equals(type)) {
            ProgramContent p;
            try {
                p = Json.MAPPER.treeToValue(content, ProgramContent.class);
            } catch (Exception e) {
                return out;
            }
            if (p.replaces() != null && !p.replaces().isBlank()) {
                out.add(new Remove(p.replaces(), "replaced by " + hash + (p.isPersistent() ? "" : " (unpersisted)")));
            }
            if (p.isPersistent()) {
                int vcpus = p.resources() == null ? 1 : p.resources().vcpus();
                long memory = p.resources() == null ? 128 : p.resources().memory();
                String runtime = p.runtime() == null ? null : p.runtime().ref();
                String requirements = p.requirements() == null || p.requirements().isNull() ? null : Json.write(p.requirements());
                long created = (long) ((m.time() != null ? m.time() : p.time()) * 1000);
                out.add(new Add(new ProgramRow(hash, p.address(), vcpus, memory, runtime, requirements, "active", null,
                        null, null, 0, created, volumesOf(p), null, null)));
            }
        }
        return out;
    }

    /** The program's volumes as the scheduler keeps them (null: none), each persistent one by its volume id. */
    static String volumesOf(ProgramContent p) {
        if (p.volumes().isEmpty()) return null;
        List<PersistentVolume> persistent = new ArrayList<>();
        for (Volume v : p.volumes()) {
            if (v instanceof Volume.Persistent pv && p.address() != null) {
                persistent.add(new PersistentVolume(VolumeIds.of(p.address(), pv), pv.name(), VolumeIds.mountPoint(pv), pv.sizeMib()));
            }
        }
        return Json.write(new ProgramVolumes(true, persistent));
    }
}
