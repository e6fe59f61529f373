-- One database per service (architecture.md): no service reads another's.
CREATE DATABASE beacon_bff;
CREATE DATABASE beacon_campaign;
CREATE DATABASE beacon_tracking;
CREATE DATABASE beacon_commission;
CREATE DATABASE beacon_payment;
