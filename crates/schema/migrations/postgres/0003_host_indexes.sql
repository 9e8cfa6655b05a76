-- Live hosts by cluster/pod/zone: list filters count only rows not removed, and a
-- partial index lets them do so without reading every host of the cluster.
CREATE INDEX host_live_cluster ON host(cluster_id) WHERE removed IS NULL;
CREATE INDEX host_live_pod ON host(pod_id) WHERE removed IS NULL;
CREATE INDEX host_live_zone ON host(zone_id) WHERE removed IS NULL;
