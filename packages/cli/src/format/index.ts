// docker-style output: Go templates for --format, tabwriter tables, human units, list writers.
export * from './api-types.js';
export { GoTemplate, GoStruct, renderTemplate, goJson, goStructValue, BASIC_FUNCS, HEADER_FUNCS, type TemplateFunc } from './template.js';
export { parseTemplate, type ParsedTemplate } from './template-parse.js';
export { goSprintf, goSprint, goSprintln, goValueString } from './printf.js';
export { tabwrite, DOCKER_TABWRITER, type TabwriterOptions } from './tabwriter.js';
export {
  humanDuration,
  timeAgo,
  humanSize,
  humanSizeWithPrecision,
  bytesSize,
  formatGoG,
  truncateId,
  ellipsis,
  charWidth,
  stringWidth,
} from './units.js';
export { goTimeString, parseRfc3339, UTC, type TimeZone } from './time.js';
export {
  ContainerContext,
  displayablePorts,
  goQuote,
  upStatus,
  exitedStatus,
  CONTAINER_HEADERS,
  DEFAULT_CONTAINER_TABLE_FORMAT,
  type RowOptions,
} from './containers.js';
export { ImageContext, imageRows, IMAGE_HEADERS, DEFAULT_IMAGE_TABLE_FORMAT, DEFAULT_IMAGE_TABLE_FORMAT_WITH_DIGEST, type ImageRowOptions } from './images.js';
export {
  VolumeContext,
  NetworkContext,
  naturalLess,
  sortByNameNatural,
  VOLUME_HEADERS,
  NETWORK_HEADERS,
  DEFAULT_VOLUME_TABLE_FORMAT,
  DEFAULT_NETWORK_TABLE_FORMAT,
} from './resources.js';
export {
  renderRows,
  headerContext,
  isTableFormat,
  formatUsesField,
  formatContainers,
  formatImages,
  formatVolumes,
  formatNetworks,
  formatStats,
  formatComposePs,
  type ListFormatOptions,
} from './writer.js';
export { StatsContext, statsEntry, cpuPercent, memUsageNoCache, DEFAULT_STATS_TABLE_FORMAT, STATS_HEADERS, type ApiStats, type StatsEntry } from './stats.js';
export { ComposeContainerContext, COMPOSE_PS_HEADERS, DEFAULT_COMPOSE_PS_TABLE_FORMAT, type ComposePsInput, type PortPublisher } from './compose.js';
export { LogPrefixer, logDisplayName } from './log-prefix.js';
