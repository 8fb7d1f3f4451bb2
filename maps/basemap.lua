-- osm2pgsql flex style of our own basemap (maps.services.basemap_import runs it).
-- Keeps only what the map draws: roads, water and places, with their names. Geometries are stored
-- in our one SRID (settings.GEO_SRID, 4326) like every other table of ours, not in Web Mercator: the
-- tile view picks rows with the GiST index on the stored geometry (a Web Mercator tile is an exact
-- longitude/latitude box) and projects only the rows it picked to 3857.
-- Schema and SRID come from the environment: the import loads a staging schema, then swaps it in.
local schema = os.getenv('BASEMAP_SCHEMA') or 'basemap'
local srid = tonumber(os.getenv('BASEMAP_SRID') or '4326')

-- The zoom from which a feature is drawn: the tile view sends only rows with minzoom <= z.
local road_minzoom = {
    motorway = 6, trunk = 6, primary = 8, secondary = 10, tertiary = 11,
    motorway_link = 12, trunk_link = 12, primary_link = 12, secondary_link = 13, tertiary_link = 13,
    unclassified = 13, residential = 14, living_street = 14, pedestrian = 14, road = 14,
    service = 15, track = 15, footway = 16, path = 16, cycleway = 16, steps = 16,
}
local waterway_minzoom = { river = 8, canal = 11, stream = 13, drain = 15, ditch = 15 }
local place_minzoom = {
    city = 4, town = 8, suburb = 11, village = 11, quarter = 13, hamlet = 13, neighbourhood = 14,
    isolated_dwelling = 15, locality = 15,
}

local tables = {}

tables.roads = osm2pgsql.define_way_table('roads', {
    { column = 'kind', type = 'text', not_null = true },
    { column = 'name', type = 'text' },
    { column = 'minzoom', type = 'int', not_null = true },
    { column = 'geom', type = 'linestring', projection = srid, not_null = true },
}, { schema = schema })

tables.waterways = osm2pgsql.define_way_table('waterways', {
    { column = 'kind', type = 'text', not_null = true },
    { column = 'name', type = 'text' },
    { column = 'minzoom', type = 'int', not_null = true },
    { column = 'geom', type = 'linestring', projection = srid, not_null = true },
}, { schema = schema })

tables.water = osm2pgsql.define_area_table('water', {
    { column = 'kind', type = 'text', not_null = true },
    { column = 'name', type = 'text' },
    { column = 'minzoom', type = 'int', not_null = true },
    { column = 'geom', type = 'multipolygon', projection = srid, not_null = true },
}, { schema = schema })

tables.places = osm2pgsql.define_node_table('places', {
    { column = 'kind', type = 'text', not_null = true },
    { column = 'name', type = 'text', not_null = true },
    { column = 'minzoom', type = 'int', not_null = true },
    { column = 'geom', type = 'point', projection = srid, not_null = true },
}, { schema = schema })

local function water_kind(tags)
    if tags.natural == 'water' then return tags.water or 'water' end
    if tags.landuse == 'reservoir' or tags.landuse == 'basin' then return 'reservoir' end
    if tags.waterway == 'riverbank' then return 'river' end
    return nil
end

function osm2pgsql.process_node(object)
    local tags = object.tags
    local minzoom = place_minzoom[tags.place]
    if minzoom and tags.name then
        tables.places:insert({ kind = tags.place, name = tags.name, minzoom = minzoom, geom = object:as_point() })
    end
end

function osm2pgsql.process_way(object)
    local tags = object.tags
    local minzoom = road_minzoom[tags.highway]
    if minzoom then
        tables.roads:insert({ kind = tags.highway, name = tags.name, minzoom = minzoom, geom = object:as_linestring() })
        return
    end
    minzoom = waterway_minzoom[tags.waterway]
    if minzoom then
        tables.waterways:insert({ kind = tags.waterway, name = tags.name, minzoom = minzoom, geom = object:as_linestring() })
        return
    end
    local kind = water_kind(tags)
    if kind and object.is_closed then
        tables.water:insert({ kind = kind, name = tags.name, minzoom = 8, geom = object:as_multipolygon() })
    end
end

function osm2pgsql.process_relation(object)
    local tags = object.tags
    if tags.type ~= 'multipolygon' then return end
    local kind = water_kind(tags)
    if kind then
        tables.water:insert({ kind = kind, name = tags.name, minzoom = 8, geom = object:as_multipolygon() })
    end
end
