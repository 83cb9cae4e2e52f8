-- 0030 A restart takes its own name back at once (issue 30).
--
-- Each live scheduler instance records the process that holds its name: host, boot and pid. A daemon that
-- starts under a name whose holder ran on the same host, in this boot or an earlier one, and whose process
-- is gone (it crashed, or systemd restarted it) takes the name over at once instead of waiting until the
-- heartbeat is stale. A holder on another host is only taken over once stale, as before: no host can tell
-- whether another's process lives.

ALTER TABLE sozialraum.scheduler_instance
    ADD COLUMN host    text CHECK (length(host) BETWEEN 1 AND 255),
    ADD COLUMN boot_id text CHECK (length(boot_id) BETWEEN 1 AND 64),
    ADD COLUMN pid     integer CHECK (pid > 0);
