export { CliPage } from './CliPage';
