//! A simulated Jamf Pro server, served over real HTTP on loopback.
