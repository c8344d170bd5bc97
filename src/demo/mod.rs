//! A simulated Jamf Pro server, served over real HTTP on loopback.
//! (placeholder until the simulator lands)

pub const DEMO_CLIENT_ID: &str = "demo-client";
pub const DEMO_CLIENT_SECRET: &str = "demo-secret";

pub struct SimulatorConfig;
impl SimulatorConfig {
    pub fn demo() -> Self {
        SimulatorConfig
    }
}
pub struct Simulator;
impl Simulator {
    pub async fn start(_config: SimulatorConfig) -> std::io::Result<Simulator> {
        Err(std::io::Error::other("simulator not built yet"))
    }
    pub fn base_url(&self) -> String {
        String::new()
    }
    pub async fn shutdown(self) {}
}
