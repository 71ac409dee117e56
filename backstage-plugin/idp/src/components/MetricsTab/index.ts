export { MetricsTab } from './MetricsTab';
