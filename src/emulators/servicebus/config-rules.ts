// Subscription rules in Config.json. Correlation filters are honoured; SQL needs an expression
// engine, so only the match-all `1=1` (the service's default rule) is accepted.
import { type Fields, readObject, readOptionalString, readString, rejectUnknownFields, TopologyConfigError } from './config-errors.js';
import { type CorrelationFilter, readPropertyValues } from './correlation-filter.js';

const correlationFields = {
  ContentType: 'contentType',
  CorrelationId: 'correlationId',
  Label: 'subject',
  MessageId: 'messageId',
  ReplyTo: 'replyTo',
  ReplyToSessionId: 'replyToSessionId',
  SessionId: 'sessionId',
  To: 'to',
} as const;

export function readConfigRule(value: unknown, field: string): CorrelationFilter {
  const rule = readObject(value, field);
  rejectUnknownFields(rule, ['Name', 'Properties'], field);
  readString(rule.Name, `${field}.Name`);
  const propertiesField = `${field}.Properties`;
  const properties = readObject(rule.Properties, propertiesField);
  rejectUnknownFields(properties, ['FilterType', 'CorrelationFilter', 'SqlFilter', 'Action'], propertiesField);
  if (properties.Action !== undefined) {
    const action = readOptionalString(
      readObject(properties.Action, `${propertiesField}.Action`).SqlExpression,
      `${propertiesField}.Action.SqlExpression`,
    );
    if (action?.trim()) throw new TopologyConfigError(`${propertiesField}.Action`, 'rule actions are not supported by the local emulator');
  }
  const filterType = readString(properties.FilterType, `${propertiesField}.FilterType`);
  if (filterType === 'Correlation') return readCorrelation(properties.CorrelationFilter, `${propertiesField}.CorrelationFilter`);
  if (filterType === 'Sql') return readSql(properties.SqlFilter, `${propertiesField}.SqlFilter`);
  throw new TopologyConfigError(`${propertiesField}.FilterType`, `expected "Correlation" or "Sql", got '${filterType}'`);
}

function readCorrelation(value: unknown, field: string): CorrelationFilter {
  const filter = readObject(value, field);
  rejectUnknownFields(filter, [...Object.keys(correlationFields), 'Properties'], field);
  const result: Record<string, unknown> = {};
  for (const [configName, filterName] of Object.entries(correlationFields)) {
    const text = readOptionalString(filter[configName], `${field}.${configName}`);
    if (text !== undefined) result[filterName] = text;
  }
  if (filter.Properties !== undefined) result.applicationProperties = readPropertyValues(filter.Properties, `${field}.Properties`);
  if (Object.keys(result).length === 0) throw new TopologyConfigError(field, 'a correlation filter needs at least one field');
  return result;
}

function readSql(value: unknown, field: string): CorrelationFilter {
  const sql: Fields = readObject(value, field);
  rejectUnknownFields(sql, ['SqlExpression'], field);
  const expression = readString(sql.SqlExpression, `${field}.SqlExpression`);
  if (expression.replace(/\s+/g, '') === '1=1') return {};
  throw new TopologyConfigError(
    `${field}.SqlExpression`,
    `SQL filters other than '1=1' are not supported by the local emulator; use a Correlation filter ('${expression}')`,
  );
}
