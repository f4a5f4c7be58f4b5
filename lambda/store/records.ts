/** Items the store keeps beside the resources, never seen outside lambda/store/. */

/** Reserves a service's unique name within its account, and resolves the name to the service. */
export interface ServiceNameItem {
  service_sid: string;
}

/** Reserves a unique name, domain suffix or variable key within its parent. */
export interface ReservationItem {
  sid: string;
}

/** An account's builds of one clock hour, counted by the workflow. */
export interface RateWindowItem {
  build_count: number;
  expires_at: number;
}
